/** The flag that says a run was cancelled, and when: the truth (the announcement is a hint). */
export const cancelKey = (deployment: string, runId: string): string => `${deployment}:ctl:cancel:${runId}`;

/** The channel a cancel is announced on: RunControl.requestCancel publishes the run's id there. */
export const cancelChannel = (deployment: string): string => `${deployment}:ctl:cancels`;
