import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../infra/paths.js';

/**
 * Per-file mutation scores of the last `npm run mutation`, from both Stryker JSON reports,
 * as the Markdown table docs/testing.md shows. Exits 1 when a file scores under the bar.
 * Score = detected / (detected + undetected): killed and timed-out mutants are detected,
 * survivors and mutants no test reaches are not; mutants marked equivalent in the source
 * (`// Stryker disable next-line … : why`) and, in the store run, static mutants are left out,
 * as Stryker itself does; the table counts both.
 */
const BAR = 90;
const REPORTS = ['pure', 'store'];

interface MutantResult {
  statusReason?: string;
  status: 'Killed' | 'Timeout' | 'Survived' | 'NoCoverage' | 'Ignored' | 'CompileError' | 'RuntimeError' | 'Pending';
}
interface Report {
  files: Record<string, { mutants: MutantResult[] }>;
}

const rows: {
  file: string;
  report: string;
  detected: number;
  undetected: number;
  statics: number;
  equivalent: number;
}[] = [];
for (const name of REPORTS) {
  const path = join(PROJECT_ROOT, 'reports/mutation', `${name}.json`);
  if (!existsSync(path)) {
    console.error(`missing ${path}: run \`npm run mutation\` first`);
    process.exit(1);
  }
  const report = JSON.parse(readFileSync(path, 'utf8')) as Report;
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const count = (...statuses: MutantResult['status'][]) => mutants.filter((m) => statuses.includes(m.status)).length;
    const statics = mutants.filter((m) => m.status === 'Ignored' && m.statusReason?.startsWith('Static mutant')).length;
    rows.push({
      file,
      report: name,
      detected: count('Killed', 'Timeout'),
      undetected: count('Survived', 'NoCoverage'),
      statics,
      equivalent: count('Ignored') - statics,
    });
  }
}

rows.sort((a, b) => a.file.localeCompare(b.file));
const score = (row: (typeof rows)[number]) =>
  row.detected + row.undetected === 0 ? 100 : (100 * row.detected) / (row.detected + row.undetected);
console.log('| file | tests | mutants | detected | undetected | static, not run | equivalent | score |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|');
for (const row of rows) {
  const total = row.detected + row.undetected + row.statics + row.equivalent;
  const tests = row.report === 'pure' ? 'unit' : 'unit + integration';
  const cells = [row.detected, row.undetected, row.statics, row.equivalent].join(' | ');
  console.log(
    `| \`${row.file.replace(/^lib\//, '')}\` | ${tests} | ${total} | ${cells} | ${score(row).toFixed(1)} % |`,
  );
}
const below = rows.filter((row) => score(row) < BAR);
if (below.length > 0) {
  console.error(`\n${below.length} file(s) under ${BAR} %: ${below.map((row) => row.file).join(', ')}`);
  process.exit(1);
}
