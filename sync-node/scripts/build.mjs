// Builds the addon with the napi CLI and checks the generated typings and loader against the
// checked-in ones: `--check` fails (exit 1) when index.d.ts or index.js drifted, leaving the
// regenerated files in place to review and commit.
import { execFileSync } from 'node:child_process'
import { readFileSync, existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const check = process.argv.includes('--check')
const release = process.argv.includes('--release')
const generated = ['index.d.ts', 'index.js']
const before = Object.fromEntries(generated.map((f) => [f, existsSync(join(root, f)) ? readFileSync(join(root, f), 'utf8') : null]))

const targetDir = process.env.CARGO_TARGET_DIR || join(root, '..', 'target')
const args = ['napi', 'build', '--platform', '--target-dir', targetDir, '--js', 'index.js', '--dts', 'index.d.ts']
if (release) args.push('--release')
execFileSync('npx', args, { cwd: root, stdio: 'inherit' })

if (check) {
  const drifted = generated.filter((f) => before[f] !== readFileSync(join(root, f), 'utf8'))
  if (drifted.length) {
    console.error(`generated ${drifted.join(', ')} differ from the checked-in version: review and commit them`)
    process.exit(1)
  }
  console.log('typings: no drift')
}
