// The layers, written down: a webhook flows webhooks → store → sync → vendors → mapping → hubspot, and imports point
// down that list. `npm run lint:layers` checks src/ and packages/ against these rules; CI fails on any violation.

/** The only files that may import HubSpot's SDK: the adapter and its transport (and any later hubspot-sdk-*.ts). */
const SDK_ADAPTERS = '^src/hubspot/hubspot-(sdk|transport)';
/** Our model of HubSpot: a workspace package of its own (reached through node_modules as a link to it). */
const EMULATOR = '(^|/)(packages/hubspot-emulator|node_modules/@ai-call-hubspot-connector/hubspot-emulator)/';
/** Spec files sit next to the code they test and may import anything (fakes, fixtures, the emulator). */
const SPEC = '\\.spec\\.ts$';
/** Modules that reach the disk, the network, other processes or the database. */
const IO_MODULES = [
  '^(node:)?(fs|http|https|http2|net|tls|dgram|dns|child_process|worker_threads)(/|$)',
  '(^|/)node_modules/(better-sqlite3|kysely|pg|pg-[a-z-]+|@hubspot/api-client|axios|undici)/',
];
/** The database drivers and the query builder: the store's own business. */
const DATABASE_MODULES = '(^|/)node_modules/(better-sqlite3|kysely|pg|pg-[a-z-]+)/';

/** A rule that forbids `from` (spec files aside) to import any of src/ but the given folders. */
function onlyFrom(name, from, allowed, comment) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: from, pathNot: SPEC },
    to: { path: '^src/', pathNot: `^src/(${allowed.join('|')})/` },
  };
}

module.exports = {
  forbidden: [
    onlyFrom(
      'logging-imports-no-layer',
      '^src/logging/',
      ['logging'],
      'Every layer logs; logging that imported a layer would make that layer a dependency of all the others.',
    ),
    onlyFrom(
      'common-only-logging',
      '^src/common/',
      ['common', 'logging'],
      'src/common/ is the floor every layer stands on (errors, clock, text helpers, the error filter that logs); an import from a layer above would tie all of them to it.',
    ),
    {
      name: 'config-only-common-logging-vendors',
      comment:
        'Config validates the environment and config/ files at start-up. It needs the vendor map (secret settings, events, defaults), the pure template compiler and source-field list (to check templates and fields with their line), and the list of HubSpot API versions; nothing that runs later.',
      severity: 'error',
      from: { path: '^src/config/', pathNot: SPEC },
      to: {
        path: '^src/',
        pathNot:
          '^src/((common|logging|config|vendors)/|mapping/(template|source-fields)\\.ts$|hubspot/hubspot-api-paths\\.ts$)',
      },
    },
    onlyFrom(
      'store-only-common-config-logging',
      '^src/store/',
      ['common', 'config', 'logging', 'store'],
      'The store keeps bytes and states durably; it never decides what they mean (no webhooks, sync, admin, hubspot, mapping, vendors).',
    ),
    onlyFrom(
      'vendors-only-common',
      '^src/vendors/',
      ['common', 'vendors'],
      "A vendor's folder holds facts about that vendor only: payload shapes, splitting, mapping to a call record.",
    ),
    {
      name: 'vendors-no-io',
      comment:
        'Vendor code turns payloads into call records: pure, so that it is unit-tested with the captured payloads alone.',
      severity: 'error',
      from: { path: '^src/vendors/', pathNot: SPEC },
      to: { path: IO_MODULES },
    },
    onlyFrom(
      'mapping-only-common-config-vendors',
      '^src/mapping/',
      ['common', 'config', 'vendors', 'mapping', 'hubspot'],
      'Mapping turns a call record into HubSpot properties as config/mapping.yaml says; it needs nothing above it.',
    ),
    {
      name: 'mapping-hubspot-types-only',
      comment:
        "Mapping may name the HubSpot port's types, never run HubSpot code: the sync decides when HubSpot is called.",
      severity: 'error',
      from: { path: '^src/mapping/', pathNot: SPEC },
      to: { path: '^src/hubspot/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'mapping-is-pure',
      comment:
        'Mapping is pure (record in, properties out) so that previews and tests need no disk, network or database.',
      severity: 'error',
      from: { path: '^src/mapping/', pathNot: SPEC },
      to: { path: IO_MODULES },
    },
    onlyFrom(
      'hubspot-only-common-config-logging',
      '^src/hubspot/',
      ['common', 'config', 'logging', 'hubspot'],
      'The HubSpot adapter speaks to HubSpot for the layers above; it knows nothing of webhooks, the store or the sync.',
    ),
    {
      name: 'emulator-only-for-sandbox-mode',
      comment:
        'Only hubspot.module.ts may start the emulator (sandbox mode, no token), and loads it only then; the adapter talks HTTP to whatever HubSpot it is given.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/hubspot/hubspot\\.module\\.ts$', SPEC] },
      to: { path: EMULATOR },
    },
    {
      name: 'database-only-in-store',
      comment:
        'One port per outside system: only src/store/ talks to the database (the drivers and the query builder); the rest uses its repositories.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/store/', SPEC] },
      to: { path: DATABASE_MODULES },
    },
    {
      name: 'sdk-only-in-adapter',
      comment:
        'One port per outside system: only the SDK adapter imports @hubspot/api-client; the rest uses the HubSpot port.',
      severity: 'error',
      from: { path: '^src/', pathNot: [SDK_ADAPTERS, SPEC] },
      to: { path: '(^|/)node_modules/@hubspot/api-client/' },
    },
    onlyFrom(
      'sync-only-lower-layers',
      '^src/sync/',
      ['sync', 'store', 'vendors', 'mapping', 'hubspot', 'config', 'logging', 'common'],
      'The sync drives the layers below it; webhooks, admin, health, metrics and the CLIs sit above it and call into it.',
    ),
    onlyFrom(
      'recordings-only-lower-layers',
      '^src/recordings/',
      ['common', 'config', 'logging', 'store', 'hubspot', 'mapping', 'vendors', 'sync', 'recordings'],
      "The recordings stage runs after a call is logged: it reads the store, asks a vendor's code where the audio is, uploads through the HubSpot adapter, and works only while this instance leads the sync (the sync's leader). It sits above the sync, which never imports it; webhooks, admin and the CLIs stay out of its imports.",
    ),
    {
      name: 'webhooks-not-sync-admin-hubspot',
      comment: 'Controllers are thin: verify, validate, store, answer. Work with HubSpot happens later, in the worker.',
      severity: 'error',
      from: { path: '^src/webhooks/', pathNot: SPEC },
      to: { path: '^src/(sync|admin|hubspot)/' },
    },
    {
      name: 'console-on-top',
      comment:
        'The operator console (src/console/) sits on top, as the admin API does: it may import every layer (it reads what health and metrics read and acts through the same services), and no layer imports it; only the application module and its start-up summary name it.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/console/', '^src/app\\.(module|factory)\\.ts$', SPEC] },
      to: { path: '^src/console/' },
    },
    {
      name: 'emulator-independent',
      comment:
        'The emulator is our model of HubSpot, a package of its own: it must not know the connector it is used to test.',
      severity: 'error',
      from: { path: EMULATOR, pathNot: SPEC },
      to: { path: '^src/' },
    },
    {
      name: 'no-circular',
      comment: 'A cycle makes the load order decide what is undefined at start-up, and leaves no layer to test alone.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-test-code-in-src',
      comment: 'Shipped code must not depend on test support or fixtures (spec files next to the code may).',
      severity: 'error',
      from: { path: '^(src|packages/[^/]+/src)/', pathNot: SPEC },
      to: { path: '^(test|packages/[^/]+/test)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Packages are kept in the graph (not followed), so that the rules about the SDK, the database and the emulator
    // can see imports of them.
    exclude: { path: '(^|/)(dist|coverage)/' },
    // Count `import type` too: a type-only import is still a dependency between layers (and is marked as such).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      // The emulator package's source condition first, as TypeScript and vitest resolve it.
      conditionNames: ['@ai-call-hubspot-connector/source', 'import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
