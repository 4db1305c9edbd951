/**
 * The import rules of src/ (`npm run lint:deps`, run by `npm test` before it builds). See the
 * README, "Folder dependencies".
 *
 * Layers: shared folders at the bottom (SHARED below: any file may import any of their files),
 * features in the middle, the read-sides (monitoring/, timeline/, alerts/) at the top, and
 * src/*.ts (main, app.module, app.factory) above everything, composing it.
 *
 * Type-only imports count (tsPreCompilationDeps): a cycle through types is still a cycle to the
 * reader, and it becomes a runtime one the day a value is imported along the same path.
 */

/** Folders whose every file is public: rules and kits that features share; they import no feature. */
const SHARED = ['common', 'config', 'database', 'logging', 'metrics', 'outbound-url', 'inbound-webhook-contract'];

/**
 * The read-sides, at the top: they read the features (and each other, one way); no feature or
 * shared folder imports them. Only src/*.ts, composing everything, does.
 */
const READ_SIDES = ['monitoring', 'timeline', 'alerts'];

/**
 * What a feature folder exports to the others: files with one of these roles
 * (`<name>.<role>.ts`)... A `config` is the module's typed configuration slice: others read a
 * setting of it (every job's lock is sized from the runner's, alerts retry as chat messages do),
 * and src/app.config.ts composes them all.
 */
const PUBLIC_ROLES = ['module', 'service', 'repository', 'schema', 'dto', 'config'];

/** ...and these files, each named here because another folder needs it. */
const ALSO_EXPORTED = [
  'jobs/job-runner.ts', // the durable job runner every feature injects (JobsModule is global)
  'users/password-hasher.ts', // auth checks passwords with it
  'notifications/chat-messages.ts', // the chat message shapes videos, reels and alerts post
  'notifications/chat.sender.ts', // alerts post through it
  'outbound-webhooks/outbound-events.ts', // the outbound event names and payloads videos and reels emit
  'outbound-webhooks/outbound-history.ts', // timeline reads a video's outbound messages
  'inbound-webhook-events/webhook-event.recorder.ts', // health reads its backlog, alerts its figures
  'inbound-webhook-events/webhook-replay.registry.ts', // webhooks registers its handlers for replay
  'inbound-webhook-events/webhook-event-stats.registry.ts', // monitoring registers the statistics the stats route answers
];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      severity: 'error',
      comment:
        'Two folders of src/ import each other, directly or around a longer circle. Move what both need down ' +
        '(into a shared folder, or the lower feature) so that lower folders know nothing of higher ones.',
      scope: 'folder',
      from: { path: '^src(/|$)' },
      to: { circular: true },
    },
    {
      name: 'no-file-cycles',
      severity: 'error',
      comment:
        'Files import each other in a circle (load order, undefined at decoration time). Checked in src/, test/ ' +
        'and tools/ alike.',
      from: { path: '^(src|test|tools)/' },
      to: { circular: true },
    },
    {
      name: 'src-imports-no-tests-or-tools',
      severity: 'error',
      comment:
        'The service imports a file of test/ or tools/. Only src/ is built into dist/ and shipped, so the ' +
        'service would not start in production. Move what both need into src/.',
      from: { path: '^src/' },
      to: { path: '^(test|tools)/' },
    },
    {
      name: 'src-uses-declared-dependencies',
      severity: 'error',
      comment:
        'The service imports a package that package.json does not list in dependencies: listed only in ' +
        'devDependencies, `npm ci --omit=dev` (production) does not install it; not listed at all, it is there ' +
        "only as another package's dependency, at whatever version that one wants. Add it to dependencies, or " +
        'keep the import in a spec.',
      from: { path: '^src/', pathNot: '\\.spec\\.ts$' },
      to: { dependencyTypes: ['npm-dev', 'npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'tools-import-no-tests',
      severity: 'error',
      comment:
        'A tool (tools/: benchmarks, the OpenAPI generator, start) imports a file of test/. Tools run from ' +
        'dist/tools without the test build; share through src/ or keep the helper in tools/.',
      from: { path: '^tools/' },
      to: { path: '^test/' },
    },
    {
      name: 'test-helpers-import-no-specs',
      severity: 'error',
      comment:
        'A test helper (test/utils/) imports a spec file: the spec would run its tests wherever the helper is ' +
        'loaded. Move what is shared into test/utils/.',
      from: { path: '^test/utils/' },
      to: { path: '\\.(e2e-spec|spec|bench)\\.ts$' },
    },
    {
      name: 'no-importing-read-sides',
      severity: 'error',
      comment:
        'A feature or shared folder imports a read-side (' + READ_SIDES.map((f) => `${f}/`).join(', ') + '). Read-sides depend on ' +
        'the features, never the reverse: let the read-side register with the feature (as the statistics do in ' +
        'WebhookEventStatsRegistry), or move what both need down.',
      from: { path: '^src/[^/]+/', pathNot: `^src/(${READ_SIDES.map(escape).join('|')})/` },
      to: { path: `^src/(${READ_SIDES.map(escape).join('|')})/` },
    },
    {
      name: 'no-reaching-into-features',
      severity: 'error',
      comment:
        "A folder imports another feature's file that the feature does not export. Import its module, " +
        'service, repository, schema or DTO, or add the file to ALSO_EXPORTED in .dependency-cruiser.cjs ' +
        'when it is meant to be shared.',
      from: { path: '^src/([^/]+)/' },
      to: {
        path: '^src/[^/]+/',
        pathNot: [
          '^src/$1/',
          `^src/(${SHARED.map(escape).join('|')})/`,
          `^src/[^/]+/[^/]+\\.(${PUBLIC_ROLES.join('|')})\\.ts$`,
          `^src/(${ALSO_EXPORTED.map(escape).join('|')})$`,
        ],
      },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
