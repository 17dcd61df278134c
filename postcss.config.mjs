// Tailwind 4 through PostCSS (works offline with next build).
const config = { plugins: { "@tailwindcss/postcss": {} } };

export default config;
