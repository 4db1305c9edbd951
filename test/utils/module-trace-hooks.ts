/** The loader hooks of module-trace.ts: record each URL as it is loaded, then load it as usual. */
import { appendFileSync } from 'node:fs';

let file: string | undefined;

export function initialize(data: { file: string }): void {
  file = data.file;
}

type NextLoad = (url: string, context: unknown) => Promise<unknown>;

export async function load(url: string, context: unknown, nextLoad: NextLoad): Promise<unknown> {
  if (file) appendFileSync(file, `${url}\n`);
  return nextLoad(url, context);
}
