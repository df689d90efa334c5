// Syncs a folder of Markdown files into a SQLite file through the installed `tasksync` package,
// as an app's script would (through the package's FolderSource), and checks the result:
// the file holds the tasks after a reopen, a second preview is empty, an edited title is one
// update, and the plan made before that update is refused as stale.
//
// Usage (from the app's folder, where `tasksync` is installed): node sync-folder.mjs FOLDER DB
import assert from 'node:assert/strict'
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FolderSource, StalePlanError, Store, SyncEngine } from 'tasksync'

const [source, db] = process.argv.slice(2)
if (!source || !db) throw new Error('usage: node sync-folder.mjs FOLDER DB')
const folder = mkdtempSync(join(tmpdir(), 'tasksync-folder-'))
cpSync(source, folder, { recursive: true })

// The package's folder source: one task per `*.md` (the id is the file name, the title the
// first `# ` heading, a `status:` line in the front matter the status), as every host reads it.
const listing = (dir) => new FolderSource(dir).read()

const engine = new SyncEngine(Store.sqlite(db))
const first = await engine.preview('project-1', await listing(folder))
assert.equal(first.counts.creates, 3, JSON.stringify(first.counts))
assert.equal((await engine.execute(first, { confirmed: true })).created, 3)

const reopened = new SyncEngine(Store.sqlite(db))
const tasks = (await reopened.store.snapshot('project-1')).tasks
assert.deepEqual(
  tasks.map((t) => [t.external_id, t.title, t.status]).sort(),
  [
    ['build', 'Build the sync', 'pending'],
    ['review', 'Review the release', 'draft'],
    ['spec', 'Write the spec', 'draft'],
  ],
)
assert.equal((await reopened.preview('project-1', await listing(folder))).isEmpty, true)

writeFileSync(join(folder, 'review.md'), '# Review the release notes\n')
const edit = await reopened.preview('project-1', await listing(folder))
assert.deepEqual([edit.counts.creates, edit.counts.updates, edit.counts.deletes], [0, 1, 0])
assert.equal((await reopened.execute(edit, { confirmed: true })).updated, 1)
await assert.rejects(reopened.execute(edit, { confirmed: true }), StalePlanError)
assert.equal((await reopened.verify('project-1', await listing(folder))).consistent, true)

console.log(`sync-folder: ${tasks.length} Markdown files synced into ${db}, edit applied, stale plan refused`)
