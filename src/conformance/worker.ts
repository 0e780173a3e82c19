/**
 * Worker thread body of the conformance runner: runs the test folders it is sent, one result
 * message per test, so the parent can time out or survive a crash of any single test.
 * @module
 */
import { parentPort } from 'node:worker_threads';
import { runCase, type CaseOptions } from './case.js';

parentPort?.on('message', async (msg: { dir: string; suite: string; options?: CaseOptions } | null) => {
  if (msg === null) { process.exit(0); }
  parentPort!.postMessage(await runCase(msg.dir, msg.suite, msg.options));
});
