// `throttle: N` on a task or block (Ansible): at most N hosts run that task at once, whatever
// `forks` allows. One semaphore per task of the run, taken before a fork slot so a host
// waiting for its turn at a throttled task does not hold a fork another task could use.
import type { TaskNode } from '../playbook/types.js';
import { Semaphore } from '../util/semaphore.js';

export class Throttles {
  private readonly byTask = new WeakMap<TaskNode, Semaphore>();

  /** Wait for the task's turn; the returned function ends it. No limit: nothing to wait for. */
  async acquire(task: TaskNode, limit: number | undefined): Promise<() => void> {
    if (limit === undefined || limit <= 0) return () => undefined;
    let sem = this.byTask.get(task);
    if (!sem) {
      sem = new Semaphore(limit);
      this.byTask.set(task, sem);
    }
    return sem.acquire();
  }
}
