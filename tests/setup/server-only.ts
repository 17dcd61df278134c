// Stands in for the `server-only` package under Vitest: the real one throws outside a React Server Components
// bundle, and tests call server modules directly.
export {};
