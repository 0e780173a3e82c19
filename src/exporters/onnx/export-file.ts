/**
 * Writing an ONNX model to disk (Node.js): the `.onnx` file plus, for initializers over 2 GB in
 * total, its external data file `<name>.data` in the same folder. Writes are atomic: each file is
 * written under a temporary name in the target folder and renamed into place, so a failure never
 * leaves a half-written model behind.
 * @module
 */
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { OptiflowError } from '../../ir/errors.js';
import type { Graph } from '../../ir/graph.js';
import { exportOnnxModel, type ExportOptions } from './export.js';

/** What {@link writeOnnxFile} wrote. */
export interface WrittenModel {
  /** The model file. */
  path: string;
  /** Its size in bytes. */
  bytes: number;
  /** The external data file, when initializers went external. */
  dataPath?: string;
  /** Its size in bytes (0 when there is none). */
  dataBytes: number;
}

/**
 * Writes `graph` as `path`, atomically; initializers above `externalDataThreshold` bytes in total
 * go to `externalDataLocation` (default `<file name>.data`) next to it.
 * @throws OptiflowError `io_error` naming the file when it cannot be written (then neither file is
 *   left half-written), `invalid_argument` when `externalDataLocation` is not a bare file name;
 *   as `exportOnnxModel`. The data file is renamed into place before the model; if the model's
 *   rename then fails, a data file that did not exist before is removed again, while one that
 *   replaced an older file stays (complete, matching the new model).
 */
export function writeOnnxFile(path: string, graph: Graph, options: ExportOptions = {}): WrittenModel {
  const target = resolve(path);
  const dir = dirname(target);
  const location = options.externalDataLocation ?? `${basename(target)}.data`;
  if (location !== basename(location) || location === '.' || location === '..') {
    throw new OptiflowError('invalid_argument', `externalDataLocation '${location}' must be a file name in the model's folder`);
  }
  const { model, externalData } = exportOnnxModel(graph, { ...options, externalDataLocation: location });
  const tag = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const temps: string[] = [];
  const write = (final: string, chunks: readonly Uint8Array[]): string => {
    const tmp = join(dir, `.${basename(final)}.tmp-${tag}`);
    temps.push(tmp);
    const fd = openSync(tmp, 'w');
    try {
      for (const c of chunks) {
        let done = 0;
        while (done < c.length) done += writeSync(fd, c, done, c.length - done);
      }
      fsyncSync(fd);
    } finally { closeSync(fd); }
    return tmp;
  };
  const dataPath = externalData ? join(dir, location) : undefined;
  let current = target;
  try {
    let dataTmp: string | undefined;
    if (externalData) { current = dataPath!; dataTmp = write(dataPath!, externalData.chunks); }
    current = target;
    const modelTmp = write(target, [model]);
    if (dataTmp) {
      current = dataPath!;
      // A data file we create (none was there) is removed again if the model cannot be put in place.
      if (!existsSync(dataPath!)) temps.push(dataPath!);
      renameSync(dataTmp, dataPath!);
    }
    current = target;
    renameSync(modelTmp, target);
  } catch (e) {
    for (const t of temps) rmSync(t, { force: true });
    if (e instanceof OptiflowError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new OptiflowError('io_error', `cannot write model: ${err.code ?? err.message}`, [current]);
  }
  return { path: target, bytes: model.length, ...(dataPath ? { dataPath } : {}), dataBytes: externalData?.byteLength ?? 0 };
}
