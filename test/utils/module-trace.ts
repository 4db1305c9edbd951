/**
 * `node --import <this file> …` with MODULE_TRACE_FILE set: every module the ES module loader
 * loads, static or dynamic import, is appended to that file as its URL, one a line. Tests use it to
 * prove what a process loads (test/embedded-import.e2e-spec.ts). The hooks run on the loader's own
 * thread (Node 20.6+), hence a file rather than memory.
 */
import { register } from 'node:module';

if (!process.env.MODULE_TRACE_FILE) throw new Error('module-trace: set MODULE_TRACE_FILE to the file to write');
register('./module-trace-hooks.js', import.meta.url, { data: { file: process.env.MODULE_TRACE_FILE } });
