import { isServiceToken, jwtClaims, readConfig, removeConfig, resolveUrl, writeConfig } from '../config.js';
import { CliError, EXIT, UsageError } from '../exit-codes.js';
import { out, printJson, readSecretInput, requireArgs } from '../io.js';
import { type Command, connect, using } from './shared.js';

export const login: Command = {
  usage: 'secrets login [--url URL] [--no-verify]   (token from stdin or a hidden prompt, never an argument)',
  summary: 'save the endpoint and your token in a 0600 config file',
  options: { url: 'string', verify: 'boolean' },
  async run({ args, options, json }) {
    requireArgs(args, [], this.usage);
    const url = (typeof options.url === 'string' ? options.url : resolveUrl()).replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]/.test(url)) throw new UsageError(`not an http(s) URL: ${url}`);
    const token = (await readSecretInput('Token: ')).trim();
    if (!token)
      throw new UsageError('no token given', 'pipe it in: npm run --silent token -- --sub alice | secrets login');
    if (/\s/.test(token)) throw new UsageError('the token holds whitespace; pass exactly one token');
    // A person's token is checked with a list call; a service token only works on inject (an audited read), so it is not.
    const verify = options.verify !== false && !isServiceToken(token);
    if (verify)
      await using(connect({ url, token, source: 'config' }), (client) => client.listEnvironments({ limit: 1 }));
    const file = writeConfig({ url, token });
    const claims = jwtClaims(token);
    const who = isServiceToken(token) ? 'a service token' : claims?.sub ? `${claims.sub}` : 'this token';
    if (json) printJson({ url, config: file, subject: claims?.sub ?? null, verified: verify });
    else out(`Logged in to ${url} as ${who}${verify ? '' : ' (not verified)'}; saved in ${file}`);
    return 0;
  },
};

export const logout: Command = {
  usage: 'secrets logout',
  summary: 'forget the saved token',
  async run({ args }) {
    requireArgs(args, [], this.usage);
    out(removeConfig() ? 'Logged out' : 'Not logged in');
    return 0;
  },
};

export const status: Command = {
  usage: 'secrets status [--json]',
  summary: 'show the endpoint and token in use (never the token itself)',
  async run({ args, json }) {
    requireArgs(args, [], this.usage);
    const config = readConfig();
    const token = process.env.SECRETS_TOKEN || config?.token;
    if (!token) throw new CliError('not logged in', EXIT.auth, 'run `secrets login`');
    const claims = jwtClaims(token);
    const info = {
      url: resolveUrl(config),
      tokenFrom: process.env.SECRETS_TOKEN ? 'SECRETS_TOKEN' : 'config',
      kind: isServiceToken(token) ? 'service token' : 'jwt',
      subject: claims?.sub ?? null,
      scope: claims?.scope ?? null,
      expiresAt: claims?.exp ? new Date(claims.exp * 1000).toISOString() : null,
    };
    if (json) printJson(info);
    else {
      out(`endpoint: ${info.url}`);
      out(`token:    ${info.kind} from ${info.tokenFrom}${info.subject ? `, subject ${info.subject}` : ''}`);
      if (info.scope) out(`scope:    ${info.scope}`);
      if (info.expiresAt)
        out(`expires:  ${info.expiresAt}${Date.parse(info.expiresAt) < Date.now() ? ' (expired)' : ''}`);
    }
    return 0;
  },
};
