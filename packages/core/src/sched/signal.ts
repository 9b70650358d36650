import { Errno } from '../constants';
import { EXIT, type KGen, type Task } from './task';

/**
 * A system call or fault: runs the kernel path `g` for task `t`, then, on the way back to user
 * space (`exit_to_user_mode_loop()` → `get_signal()`), acts on a pending fatal signal: the task
 * yields `EXIT` and the scheduler runs `do_exit` in its place; other pending signals are handed
 * to the process's handler (`Task.delivered`; the model's processes handle SIGBUS, SIGSEGV and
 * SIGIO unless `Task.sigDefault` names them, and SIGKILL always kills). Nested calls act only at the
 * outermost return; an exiting task never acts again. The result of `g` is returned otherwise.
 */
export function* syscall<T>(t: Task, g: KGen<T>): KGen<T> {
  t.sysDepth++;
  let r: T;
  try {
    r = yield* g;
  } finally {
    t.sysDepth--;
  }
  if (t.sysDepth === 0 && !t.exiting) {
    if (t.exitPending()) yield EXIT;
    // get_signal(): every other pending signal goes to the process's handler (the scenario body).
    for (const sig of t.signals.splice(0)) if (!t.delivered.includes(sig)) t.delivered.push(sig);
  }
  // A handler without SA_RESTART: -ERESTARTSYS reaches user space as -EINTR (handle_signal()).
  if (t.sysDepth === 0 && (r as unknown) === -Errno.ERESTARTSYS) return -Errno.EINTR as T;
  return r;
}
