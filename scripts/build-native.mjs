// Builds the optional `onednn` backend's Node-API addon (native/onednn/) with node-gyp against the
// system oneDNN (libdnnl). Runs from `npm run build`. Never fails the build: when oneDNN is absent,
// disabled (OPTIFLOW_NO_ONEDNN=1) or the compile fails, it prints one line saying so (and, for a
// compile failure, the compiler's error) and exits 0; the backend then reports itself unavailable.
//
// Environment: OPTIFLOW_ONEDNN_DIR = a oneDNN install prefix (include/, lib/) instead of /usr;
// OPTIFLOW_NO_ONEDNN=1 skips the addon.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const addonDir = join(root, 'native', 'onednn');
const product = join(addonDir, 'build', 'Release', 'optiflow_onednn.node');
const HOW = 'to enable it: apt-get install -y libdnnl-dev, then npm run build';

function skip(why) {
  console.log(`optiflow: onednn backend not built (${why}); ${HOW}`);
  process.exit(0);
}

if (process.env.OPTIFLOW_NO_ONEDNN === '1') {
  console.log('optiflow: onednn backend not built (OPTIFLOW_NO_ONEDNN=1); unset it and run npm run build to enable it');
  process.exit(0);
}

const prefix = process.env.OPTIFLOW_ONEDNN_DIR;
const includeDirs = prefix ? [join(prefix, 'include')] : ['/usr/include', '/usr/local/include'];
if (!includeDirs.some((d) => existsSync(join(d, 'dnnl.hpp')))) skip(`dnnl.hpp not found in ${includeDirs.join(', ')}`);
const libDirs = prefix
  ? [join(prefix, 'lib'), join(prefix, 'lib64')]
  : ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];
if (!libDirs.some((d) => existsSync(join(d, 'libdnnl.so')) || existsSync(join(d, 'libdnnl.dylib')))) {
  skip(`libdnnl not found in ${libDirs.join(', ')}`);
}

/** node-gyp bundled with npm: npm's own setting when run by npm, else beside the running node. */
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  const npmRoot = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' });
  if (npmRoot.status === 0) {
    candidates.push(join(npmRoot.stdout.trim(), 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  return candidates.find((c) => c !== undefined && c !== '' && existsSync(c));
}

const gyp = findNodeGyp();
if (gyp === undefined) skip('node-gyp not found (it ships with npm)');

// Node's headers: use the installed ones when present (no download needed).
const nodedir = dirname(dirname(process.execPath));
const nodedirArgs = existsSync(join(nodedir, 'include', 'node', 'node_api.h')) ? [`--nodedir=${nodedir}`] : [];

function gypRun(args) {
  return spawnSync(process.execPath, [gyp, ...args, ...nodedirArgs], { cwd: addonDir, encoding: 'utf8' });
}

const started = Date.now();
const configured = gypRun(['configure']);
const built = configured.status === 0 ? gypRun(['build', '-j', '2']) : configured;
if (built.status !== 0 || !existsSync(product)) {
  const log = `${built.stdout ?? ''}\n${built.stderr ?? ''}`
    .split('\n')
    .filter((l) => /error|undefined reference|not found/i.test(l) && !/^gyp (info|ERR! (stack|System|command|cwd|node|not ok))/.test(l))
    .slice(0, 30)
    .join('\n');
  process.stderr.write(`${log}\n`);
  rmSync(product, { force: true });
  console.log(`optiflow: onednn backend not built (compiling native/onednn failed, errors above); the backend stays unavailable`);
  process.exit(0);
}
console.log(`optiflow: onednn addon built (${((Date.now() - started) / 1000).toFixed(1)} s): ${product}`);
