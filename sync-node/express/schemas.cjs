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

module.exports = { previewBody, executeBody, createSessionBody, switchBody, sessionParams }
