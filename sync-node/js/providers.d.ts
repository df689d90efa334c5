// Typings of the built-in adapters and the folder source (js/providers.cjs).

import type { Listing, Provider } from './index.js'

/** The built-in adapters `Provider.builtin` makes. */
export type BuiltinKind = 'mstodo' | 'connectwise' | 'processplan' | 'azure-devops' | 'caldav'

/**
 * A built-in provider's configuration (the core's `ProviderConfig`; unknown keys are refused).
 * `token` for the HTTP APIs, `user` and `password` for CalDAV; `client_id`, `api_version` and
 * `project_route` only for ConnectWise.
 */
export interface ProviderConfig {
  kind: BuiltinKind
  base_url: string
  token?: string
  user?: string
  password?: string
  client_id?: string
  api_version?: string
  project_route?: string
  /** Per request, in milliseconds. */
  timeout_ms?: number
  /** Requests per second this provider may receive. */
  rate_limit?: number
  /** The longest a call waits for the rate limit, in milliseconds. */
  max_wait_ms?: number
}

/** Called after a 401 with the provider's name; returns (or resolves) the new token. */
export type TokenRefresherFn = (provider: string) => string | Promise<string>

export interface BuiltinOptions { refresher?: TokenRefresherFn }

/** A file the folder source left out, and why. */
export interface FileProblem { path: string; kind: string; message: string }

export interface FolderReport { listing: Listing; problems: FileProblem[] }

/** A folder of Markdown task files (subfolders, front matter, checklists) as one source. */
export declare class FolderSource {
  /** `source`: the name the folder's tasks carry (default 'files'). */
  constructor(root: string, options?: { source?: string })
  readonly root: string
  /** The listing; `complete` is false when a file was left out. */
  read(): Promise<Listing>
  /** The listing and the files left out. */
  readReport(): Promise<FolderReport>
  /** The folder as a Provider (for a Puller or a preview; a push is refused). */
  provider(): Provider
}
