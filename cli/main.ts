#!/usr/bin/env node
import { main, report } from './app.js';

/** `secrets`: the command-line front door of the secrets service (docs/cli.md). */
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = report(error);
  },
);
