#!/usr/bin/env node
/**
 * The `optiflow` command line: a thin layer over the public API. Every command has `--help`;
 * errors print one line and exit non-zero.
 * @module
 */
import { Command, CommanderError } from 'commander';
import { isOptiflowError } from '../ir/errors.js';
import { registerBench } from './bench.js';
import { registerConformance } from './conformance.js';
import { registerInspect } from './inspect.js';
import { registerOptimize } from './optimize.js';
import { registerCompare, registerQuantize } from './quantize.js';
import { registerRun } from './run.js';
import { registerZoo } from './zoo.js';

const program = new Command('optiflow')
  .description('Deep-learning inference optimizer and runtime for JavaScript')
  .showHelpAfterError()
  .exitOverride();

registerInspect(program);
registerRun(program);
registerBench(program);
registerZoo(program);
registerConformance(program);
registerOptimize(program);
registerQuantize(program);
registerCompare(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  const msg = isOptiflowError(e) ? `error [${e.code}]: ${e.message}` : `error: ${(e as Error).message ?? String(e)}`;
  process.stderr.write(`${msg}\n`);
  process.exit(1);
}
