import * as z from 'zod';

// Imported before any schema is built (shared/config/config.ts imports it first): zod 4 reads the
// setting when a schema is made. Without it, each object schema compiles a parser with `new
// Function` on its first parse.
z.config({ jitless: true });
