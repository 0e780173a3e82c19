/**
 * `optiflow conformance [DIR]`: runs the ONNX backend test folders and prints passed / failed /
 * unsupported per op and in total.
 * @module
 */
import { existsSync, writeFileSync, renameSync } from 'node:fs';
import type { Command } from 'commander';
import { OptiflowError } from '../ir/errors.js';
import { DEFAULT_SUITES, runConformance, summarize } from '../conformance/runner.js';

/** Default location of the conformance data, relative to the project root. */
export const DEFAULT_CONFORMANCE_DIR = '../shared/testdata/onnx-backend';

/** Adds the `conformance` command. */
export function registerConformance(program: Command): void {
  program.command('conformance')
    .description('run the ONNX backend conformance tests and report per op and in total')
    .argument('[dir]', 'folder holding node/, simple/, pytorch-operator/', DEFAULT_CONFORMANCE_DIR)
    .option('--suite <names>', 'comma-separated suites', DEFAULT_SUITES.join(','))
    .option('--filter <regex>', 'only tests whose folder name matches')
    .option('--timeout <ms>', 'per-test time limit in ms', '60000')
    .option('--verbose', 'print every non-passing test with its reason')
    .option('--json <file>', 'write every result as JSON')
    .option('--ep <list>', 'execution providers in priority order, comma-separated (default: the library default, wasm,js)')
    .action(async (dir: string, o: { suite: string; filter?: string; timeout: string; verbose?: boolean; json?: string; ep?: string }) => {
      if (!existsSync(dir)) throw new OptiflowError('io_error', `conformance folder not found`, [dir]);
      const results = await runConformance(dir, {
        suites: o.suite.split(','), filter: o.filter ? new RegExp(o.filter) : undefined, timeoutMs: Number(o.timeout),
        caseOptions: o.ep ? { executionProviders: o.ep.split(',').map((x) => x.trim()).filter(Boolean) } : {},
        onResult: (r, i, n) => {
          if (o.verbose && r.status !== 'passed') process.stdout.write(`${r.status.toUpperCase().padEnd(11)} ${r.suite}/${r.name}: ${r.message ?? ''}\n`);
          else if (process.stderr.isTTY) process.stderr.write(`\r${i}/${n}`);
        },
      });
      if (process.stderr.isTTY) process.stderr.write('\r');
      const s = summarize(results);
      const rows = Object.entries(s.byOp).sort(([a], [b]) => a.localeCompare(b));
      process.stdout.write(`${'op'.padEnd(34)} passed  failed  unsupported  error\n`);
      for (const [op, c] of rows) {
        process.stdout.write(`${op.padEnd(34)} ${String(c.passed).padStart(6)}  ${String(c.failed).padStart(6)}  ${String(c.unsupported).padStart(11)}  ${String(c.error).padStart(5)}\n`);
      }
      process.stdout.write('\n');
      for (const [suite, c] of Object.entries(s.bySuite)) {
        process.stdout.write(`${suite}: ${c.passed}/${c.total} passed, ${c.failed} failed, ${c.unsupported} unsupported, ${c.error} errors\n`);
      }
      const t = s.total;
      process.stdout.write(`total: ${t.passed} passed, ${t.failed} failed, ${t.unsupported} unsupported, ${t.error} errors\n`);
      if (o.json) {
        const tmp = `${o.json}.tmp-${process.pid}`;
        writeFileSync(tmp, JSON.stringify(results, null, 1));
        renameSync(tmp, o.json);
      }
    });
}
