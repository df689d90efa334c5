'use strict'
// Request schemas (zod): the HTTP layer's first line of validation. The core validates again
// (lengths, statuses, policies); these give clear 400s for the wrong shapes before any call.

const { z } = require('zod')

const id = z.string().trim().min(1).max(1024)
const status = z.enum(['draft', 'pending', 'in_progress', 'blocked', 'completed', 'cancelled'])

const desiredTask = z.object({
  external_id: id,
  kind: id.default('task'),
  title: z.string().max(64 * 1024),
  status: status.optional(),
  parent: z.string().max(1024).optional(),
  fields: z.record(z.string(), z.unknown()).optional(),
  modified_at: z.number().int().optional(),
})

const listing = z.object({
  source: id,
  complete: z.boolean().default(true),
  items: z.array(desiredTask),
})

const policy = z
  .object({
    writable: z.array(status).nullable().optional(),
    protected: z.array(status).optional(),
    overwrite: z.boolean().optional(),
    strategy: z.enum(['source_wins', 'hub_wins', 'newest_wins', 'manual']).optional(),
    max_delete_ratio: z.number().min(0).max(1).optional(),
    max_delete_floor: z.number().int().min(0).optional(),
    force_deletes: z.boolean().optional(),
  })
  .strict()

const previewBody = z.object({ scope: id, listing, policy: policy.optional() })
const executeBody = z.object({
  plan: z.object({ scope: id, token: z.string() }).passthrough(),
  confirmed: z.boolean().default(false),
})

const cycle = z.union([id, z.object({ id, name: z.string().min(1).max(1024) })])
const createSessionBody = z.object({
  id,
  cycles: z.array(cycle).min(1).max(1000),
})
const switchBody = z.object({ to: id.optional() }).strict()
const sessionParams = z.object({ id })

const idParams = z.object({ id })
const statusChangeBody = z.object({ to: status, actor: z.string().trim().min(1).max(256).optional() }).strict()
const limit = z.coerce.number().int().min(1).max(1000)
const jobState = z.enum(['pending', 'running', 'succeeded', 'dead', 'superseded', 'discarded'])
const jobsQuery = z.object({
  state: jobState.optional(),
  target: id.optional(),
  task_id: id.optional(),
  after: id.optional(),
  limit: limit.default(100),
}).strict()
const deadLettersQuery = z.object({ after: id.optional(), limit: limit.default(100) }).strict()
const actionBody = z.object({ actor: z.string().trim().min(1).max(256).optional() }).strict()
const millis = z.coerce.number().int()
const runsQuery = z.object({
  status: z.enum(['pending', 'in_progress', 'completed', 'failed', 'cancelled']).optional(),
  kind: z.enum(['preview', 'execute']).optional(),
  scope: id.optional(),
  since: millis.optional(),
  until: millis.optional(),
  cursor: z.string().max(2048).optional(),
  limit: limit.optional(), // default: the core's page size
}).strict()
const runQuery = z.object({
  items_after: z.coerce.number().int().min(0).optional(),
  items_limit: limit.default(100),
}).strict()
const auditQuery = z.object({
  entity_id: id.optional(),
  entity_type: id.optional(),
  cursor: z.string().max(2048).optional(),
  limit: limit.optional(), // default: the core's page size
}).strict()

module.exports = {
  previewBody, executeBody, createSessionBody, switchBody, sessionParams,
  idParams, statusChangeBody, jobsQuery, deadLettersQuery, actionBody, runsQuery, runQuery, auditQuery,
}
