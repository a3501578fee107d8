// The framework's ceiling: a bare express server answering a constant JSON (same Node, same express).
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.use((_req, res) => res.json({ ok: true }));
app.listen(Number(process.env.PORT ?? 8080));
