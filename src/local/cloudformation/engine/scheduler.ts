/**
 * Runs work over a dependency graph: a node starts as soon as every node it waits for has
 * finished, so independent resources are provisioned at the same time, as CloudFormation does.
 * After a failure nothing new starts (unless `continueOnFailure`, used for deletions, where
 * CloudFormation still deletes what it can); work already started is awaited.
 */
export interface ScheduleOutcome {
  completed: string[];
  failed: string[];
  notStarted: string[];
}

export async function runInDependencyOrder(
  ids: string[],
  waitsFor: (id: string) => Iterable<string>,
  work: (id: string) => Promise<void>,
  stopRequested: () => boolean,
  continueOnFailure = false,
): Promise<ScheduleOutcome> {
  const known = new Set(ids);
  const pending = new Set(ids);
  const completed = new Set<string>();
  const failed = new Set<string>();
  const inFlight = new Map<string, Promise<void>>();

  while (true) {
    const stopping = stopRequested() || (failed.size > 0 && !continueOnFailure);
    if (!stopping) {
      for (const id of [...pending]) {
        const deps = [...waitsFor(id)].filter((dep) => known.has(dep) && dep !== id);
        if (deps.every((dep) => completed.has(dep))) {
          pending.delete(id);
          inFlight.set(
            id,
            work(id).then(
              () => {
                completed.add(id);
                inFlight.delete(id);
              },
              () => {
                failed.add(id);
                inFlight.delete(id);
              },
            ),
          );
        }
      }
    }
    if (inFlight.size === 0) break;
    await Promise.race(inFlight.values());
  }
  return { completed: [...completed], failed: [...failed], notStarted: [...pending] };
}
