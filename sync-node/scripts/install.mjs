// Makes sure the package holds its native addon for this machine (`tasksync.<platform>.node`,
// the file the generated loader `index.js` requires).
//
// - Installed from a packed tarball: the addon is inside (`npm pack` puts it in), nothing to do.
// - Linked from a checkout (`npm install /path/to/tasksync/sync-node`): when the addon is
//   missing, builds it with cargo (release) from the checkout's Rust sources, into the
//   workspace's `target/` (or CARGO_TARGET_DIR), and copies it beside the loader.
// - `--pack` (the `prepack` step of `npm pack` / `npm publish`): the same, so a tarball always
//   carries the addon.
// - An install run inside the checkout that holds the package (`npm install` in sync-node, or in
//   examples/express, which links it): nothing; those are the repository's own installs, and
//   `npm run build` (or `make node-build`) builds the addon and its typings.
//
// `--name` prints the addon's file name for this machine and exits.
//
// When the addon cannot be had (no cargo on PATH, no Rust sources in a tarball for another
// platform) it says so in one message, with what to do, and exits with status 1.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, readdirSync, renameSync } from 'node:fs'
import { dirname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const packing = process.argv.includes('--pack')

function fail(message) {
  console.error(`tasksync: ${message}`)
  process.exit(1)
}

/** The loader's name for this platform (see index.js): `linux-x64-gnu`, `darwin-arm64`, ... */
function platformName() {
  const { platform, arch } = process
  if (platform === 'linux') {
    const glibc = process.report?.getReport?.().header?.glibcVersionRuntime
    const abi = arch === 'arm' ? (glibc ? 'gnueabihf' : 'musleabihf') : glibc ? 'gnu' : 'musl'
    return `linux-${arch}-${abi}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

const addonName = `tasksync.${platformName()}.node`
const addon = join(root, addonName)
if (process.argv.includes('--name')) {
  console.log(addonName)
  process.exit(0)
}

const checkout = dirname(root)
const from = resolve(process.env.INIT_CWD ?? '')
const ownInstall = !packing && (from === checkout || from.startsWith(checkout + sep))
if (ownInstall || existsSync(addon)) process.exit(0)

const carried = readdirSync(root).filter((f) => /^tasksync\..+\.node$/.test(f))
if (!existsSync(join(root, 'Cargo.toml'))) {
  fail(
    `this package has no native addon for this machine (${addonName}; it carries ` +
      `${carried.length ? carried.join(', ') : 'none'}) and no Rust sources to build one. ` +
      'Pack it on a machine of this kind (npm pack in sync-node of a checkout), or install the ' +
      'checkout itself (npm install /path/to/tasksync/sync-node) with Rust installed.',
  )
}

const cargo = process.env.CARGO || 'cargo'
if (spawnSync(cargo, ['--version'], { stdio: 'ignore' }).error) {
  fail(
    `the native addon ${addonName} is not built in ${root}, and building it needs Rust, ` +
      `but \`${cargo}\` is not on PATH. Install Rust (https://rustup.rs), then run ` +
      '`npm rebuild tasksync` in your project (or `npm install && npm run build` in that folder); or install a ' +
      'tarball packed where the addon was built (npm pack in that folder).',
  )
}

console.error(`tasksync: building the native addon ${addonName} with cargo (release, a few minutes)`)
const build = spawnSync(
  cargo,
  ['build', '--release', '--locked', '-p', 'sync-node', '--lib', '--message-format=json-render-diagnostics'],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 30 },
)
if (build.error || build.status !== 0) {
  fail(`cargo build of the native addon failed (${build.error?.message ?? `exit status ${build.status}`}); see the output above`)
}
const library = build.stdout
  .split('\n')
  .filter((line) => line.startsWith('{'))
  .map((line) => JSON.parse(line))
  .filter((m) => m.reason === 'compiler-artifact' && m.target?.name === 'sync_node')
  .flatMap((m) => m.filenames)
  .find((f) => /\.(so|dylib|dll)$/.test(f))
if (!library) fail('cargo built no sync_node library (cdylib): nothing to install')

// Copied under a temporary name first, so a half-written addon never has the loader's name.
copyFileSync(library, `${addon}.partial`)
renameSync(`${addon}.partial`, addon)
console.error(`tasksync: installed ${addon}`)
