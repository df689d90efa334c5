// The work both sides do: N tasks in scopes of 100; one status change (enqueue) per task, in
// an order; a provider that answers at once ("noop"), or fails each job's first two attempts
// with a retryable error and succeeds on the third ("fail2").
export const MODES = ['noop', 'fail2']
export const SCOPE = 100
export const ORDERS = ['spread', 'scoped']

/** Provider calls a mode makes per job. */
export const callsPerJob = (mode) => (mode === 'fail2' ? 3 : 1)

/** Whether attempt `attempt` (1-based) of a job fails in `mode`. */
export function fails(mode, attempt) {
  if (!MODES.includes(mode)) throw new Error(`unknown mode ${mode}`)
  return mode === 'fail2' && attempt <= 2
}

/**
 * The task indexes in the order they are changed. `spread`: one task of each scope in turn,
 * so the changes in flight are in different scopes (concurrent requests from users working in
 * different scopes); `scoped`: scope by scope, so the changes in flight share a scope.
 */
export function enqueueOrder(n, order) {
  if (!ORDERS.includes(order)) throw new Error(`order must be one of ${ORDERS.join(', ')}, got ${order}`)
  const indexes = []
  if (order === 'scoped') {
    for (let i = 0; i < n; i++) indexes.push(i)
    return indexes
  }
  const scopes = Math.ceil(n / SCOPE)
  for (let position = 0; position < SCOPE; position++) {
    for (let scope = 0; scope < scopes; scope++) {
      const i = scope * SCOPE + position
      if (i < n) indexes.push(i)
    }
  }
  return indexes
}
