import type { Type } from '@nestjs/common';

type Method = (...args: any[]) => any;
type MethodsOf<T> = { [K in keyof T as T[K] extends Method ? K : never]: T[K] };

/** What a test puts around a method: it gets the real method (`next`) and the call's arguments. */
export type Hooks<T> = {
  [K in keyof MethodsOf<T>]?: MethodsOf<T>[K] extends (...args: infer A) => infer R ? (next: (...args: A) => R, ...args: A) => R : never;
};

export type Hookable<T> = T & { hooks: Hooks<T> };

/**
 * A provider replaced, through createTestApp's `overrides`, by a subclass whose methods a test
 * can hook: `overrides: [hookable(VideoCallbacksService)]`, then
 * `hooked(t.app.get(VideoCallbacksService)).hooks.succeeded = (next, ...args) => …`. Without a
 * hook every method is the real one. So a test counts calls or injects a failure in a provider
 * installed for it, instead of patching the live one in place.
 */
export function hookable<T extends object>(base: Type<T>): { provide: Type<T>; useClass: Type<Hookable<T>> } {
  const Base = base as unknown as new (...args: any[]) => object;
  class HookableProvider extends Base {
    hooks: Record<string, Method> = {};
  }
  for (const name of Object.getOwnPropertyNames(base.prototype)) {
    const real = Object.getOwnPropertyDescriptor(base.prototype, name)?.value as unknown;
    if (name === 'constructor' || typeof real !== 'function') continue;
    Object.defineProperty(HookableProvider.prototype, name, {
      configurable: true,
      writable: true,
      value(this: HookableProvider, ...args: unknown[]) {
        const next = (...nextArgs: unknown[]) => (real as Method).apply(this, nextArgs);
        const hook = this.hooks[name];
        return hook ? hook(next, ...args) : next(...args);
      },
    });
  }
  Object.defineProperty(HookableProvider, 'name', { value: base.name });
  return { provide: base, useClass: HookableProvider as unknown as Type<Hookable<T>> };
}

/** The hookable provider the app holds (installed with `hookable(X)` in the test app's overrides). */
export function hooked<T extends object>(provider: T): Hookable<T> {
  if (!('hooks' in provider)) throw new Error(`${provider.constructor.name} is the real provider: install it with hookable() in createTestApp's overrides`);
  return provider as Hookable<T>;
}
