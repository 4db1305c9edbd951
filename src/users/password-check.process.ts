/**
 * The password-check process: argon2 hashes and checks, asked for over IPC by PasswordCheckProcess.
 * Before any work it lowers every one of its threads to the lowest CPU priority (nice 19; on
 * Linux a priority is per thread, so each thread of /proc/self/task is set, and threads started
 * later inherit it from the main thread), so the checks use only the CPU the service and its
 * database leave idle: on a busy machine a flood of logins waits, the webhooks do not.
 */
import argon2 from 'argon2';
import { readdirSync } from 'node:fs';
import { constants, setPriority } from 'node:os';
import { errorMessage } from '../common/error-message.js';

export type PasswordCheckRequest =
  | { id: number; op: 'hash'; password: string; options: argon2.HashOptions }
  | { id: number; op: 'verify'; password: string; hash: string };
export type PasswordCheckReply = { id: number; value: string | boolean } | { id: number; error: string };

function lowestPriority(): void {
  let threads: string[];
  try {
    threads = readdirSync('/proc/self/task');
  } catch {
    threads = ['0']; // no /proc (not Linux): the process's priority, which covers its threads there
  }
  for (const thread of threads) {
    try {
      setPriority(Number(thread), constants.priority.PRIORITY_LOW);
    } catch {
      // a thread that ended meanwhile
    }
  }
}

async function answer(request: PasswordCheckRequest): Promise<PasswordCheckReply> {
  try {
    if (request.op === 'hash') return { id: request.id, value: await argon2.hash(request.password, { ...request.options, raw: false }) };
    try {
      return { id: request.id, value: await argon2.verify(request.hash, request.password) };
    } catch {
      return { id: request.id, value: false }; // a hash that is not argon2's matches nothing
    }
  } catch (error) {
    return { id: request.id, error: errorMessage(error) };
  }
}

if (process.send) {
  lowestPriority();
  process.on('message', (request: PasswordCheckRequest) => {
    void answer(request).then((reply) => process.send?.(reply));
  });
  // The service ended (or was killed): nothing is left to answer.
  process.on('disconnect', () => process.exit(0));
  process.send({ id: 0, value: 'ready' } satisfies PasswordCheckReply);
}
