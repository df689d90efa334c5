// The provider both sides call: answers at once ("noop"), or fails each job's first two
// attempts with a retryable error and succeeds on the third ("fail2").
export const MODES = ['noop', 'fail2']

/** Provider calls a mode makes per job. */
export const callsPerJob = (mode) => (mode === 'fail2' ? 3 : 1)

/** Whether attempt `attempt` (1-based) of a job fails in `mode`. */
export function fails(mode, attempt) {
  if (!MODES.includes(mode)) throw new Error(`unknown mode ${mode}`)
  return mode === 'fail2' && attempt <= 2
}
