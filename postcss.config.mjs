// Tailwind 4 through PostCSS (works offline with next build).
export default { plugins: { "@tailwindcss/postcss": {} } };
