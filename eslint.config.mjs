// Lint rules: Next.js core-web-vitals + TypeScript, over the whole project except generated code.
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

const config = [
  ...nextVitals,
  ...nextTs,
  {
    ignores: ["node_modules/**", ".next/**", ".tmp/**", ".data/**", "lib/generated/**", "next-env.d.ts", "test-results/**"],
  },
];

export default config;
