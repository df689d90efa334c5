'use strict'
// The built-in adapters and the folder source (the core's `sync_providers` and `sync_fs`):
// `Provider.builtin(config, {refresher})` turns a plain configuration into a Microsoft To Do,
// ConnectWise, process-plan, Azure DevOps or CalDAV provider; `FolderSource` reads a folder of
// Markdown task files. Conversion only: the configuration is checked by the core (unknown keys
// refused, each error naming its field), the adapter and the folder format are Rust's.

const native = require('../index.js')
const errors = require('./error.cjs')
const { dispatcher } = require('./host.cjs')
const { options: checked } = require('./input.cjs')

const { call, InvalidInputError } = errors

module.exports = function providersModule({ json, str, Provider }) {
  const sync = (fn) => { try { return fn() } catch (e) { throw errors.fromNative(e) } }
  const wrap = (nativeProvider) => {
    const provider = Object.create(Provider.prototype)
    provider._native = nativeProvider
    return provider
  }

  /**
   * A built-in provider from its configuration (`{kind, base_url, token}` or, for CalDAV,
   * `{kind: 'caldav', base_url, user, password}`; `timeout_ms`, `rate_limit`, `max_wait_ms`;
   * ConnectWise also `client_id`, `api_version`, `project_route`). `refresher`, when given, is
   * a function `(provider) => token` (or a Promise of it) called after a 401; the call is then
   * retried with the new token. The token never appears in an error, a log line or `inspect`.
   */
  function builtin(config, opts) {
    const { refresher } = checked('provider options', opts, ['refresher'])
    if (refresher !== undefined && refresher !== null && typeof refresher !== 'function') {
      throw new InvalidInputError('invalid input: refresher must be a function')
    }
    const dispatch = refresher ? dispatcher({ refresh: refresher }, 'token refresher') : undefined
    return wrap(sync(() => native.Provider.builtin(json('provider config', config), dispatch)))
  }

  /** A folder of Markdown task files (subfolders, front matter, checklists) as one source. */
  class FolderSource {
    /** `root`: the folder; `source`: the name its tasks carry (default 'files'). */
    constructor(root, opts) {
      const { source = 'files' } = checked('folder options', opts, ['source'])
      this.root = str('root', root)
      this._native = sync(() => new native.FolderSource(this.root, str('source', source)))
    }
    /** Resolves the listing `{source, items, complete}` (partial when a file was left out). */
    read() { return call(async () => JSON.parse(await this._native.read())) }
    /** Resolves `{listing, problems: [{path, kind, message}]}`: the files left out, and why. */
    readReport() { return call(async () => JSON.parse(await this._native.readReport())) }
    /** The folder as a Provider (for a Puller or a preview; a push is refused). */
    provider() { return wrap(this._native.provider()) }
  }

  return { builtin, FolderSource }
}
