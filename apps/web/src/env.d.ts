// Stylesheets imported by scripts are bundled by esbuild into app.css.
declare module '*.css';
