// The integrations this project knows, by integration_type: what the routes accept, the overview lists and the
// adapter registry (registry.ts) serves. A module of its own, so that knowing the names needs no adapter.
export const INTEGRATION_TYPES = ['xledger', 'dynamics', 'bufdir'] as const;
export type IntegrationType = (typeof INTEGRATION_TYPES)[number];
