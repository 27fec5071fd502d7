/**
 * The HTTP API (fastify) and the built web page. Unknown user or item → 404, bad `k` or body →
 * 400, bodies over `bodyLimit` → 413; static files come from the built page folder only.
 */
import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { isDatabaseUnavailable } from './db/errors.js';
import { AppError, parseK, type MovieService } from './service.js';

export interface ServerOptions {
  /** Folder of the built page (`dist/web`); no page is served when missing. */
  webRoot?: string;
  /** Largest accepted request body in bytes (default 16 KiB). */
  bodyLimit?: number;
  logger?: boolean;
  /** More routes (e.g. the stored-ratings API), registered before the page. */
  routes?: (app: FastifyInstance) => void | Promise<void>;
}

interface Query {
  k?: string;
  algo?: string;
  limit?: string;
}

/** Builds the server (not listening yet: call `listen`). */
export async function createServer(service: MovieService, options: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: options.bodyLimit ?? 16 * 1024 });

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof AppError) return reply.status(error.status).send({ error: error.message });
    const status = (error as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return reply.status(status).send({ error: (error as Error).message });
    }
    if (isDatabaseUnavailable(error)) {
      return reply
        .status(503)
        .header('retry-after', '1')
        .send({ error: 'the database is unavailable; retry shortly.' });
    }
    app.log.error(error);
    return reply.status(500).send({ error: 'internal error' });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: `no route ${request.method} ${request.url}` });
  });

  app.get('/api/health', async () => {
    const d = service.dataset.interactions;
    return {
      status: 'ok',
      dataset: service.dataset.source,
      users: d.numUsers,
      movies: service.dataset.movies.size,
      ratings: d.size,
      defaultAlgorithm: service.defaultAlgorithm,
    };
  });

  app.get<{ Querystring: Query }>('/api/users', async (request) => ({
    users: service.users(parseK(request.query.limit, 50)),
  }));

  app.get<{ Querystring: Query }>('/api/movies', async (request) => ({
    movies: service.popularMovies(parseK(request.query.limit, 20)),
  }));

  app.get<{ Params: { id: string }; Querystring: Query }>('/api/users/:id/recommendations', async (request) => {
    const k = parseK(request.query.k);
    const algorithm = service.algorithm(request.query.algo);
    const user = service.user(request.params.id);
    return { user, algorithm, items: await service.recommend(user, k, algorithm) };
  });

  app.get<{ Params: { id: string }; Querystring: Query }>('/api/items/:id/similar', async (request) => {
    const k = parseK(request.query.k);
    const algorithm = service.algorithm(request.query.algo);
    const item = service.item(request.params.id);
    const movie = service.dataset.movies.get(item);
    return {
      item: { id: item, title: movie?.title, genres: movie?.genres },
      algorithm,
      items: await service.similar(item, k, algorithm),
    };
  });

  app.post<{ Body: { ratings?: unknown; k?: unknown; algo?: string } }>('/api/rate', async (request) => {
    const body = request.body;
    if (body === null || typeof body !== 'object')
      throw new AppError(400, 'send JSON { ratings: [{ item, rating }], k? }.');
    const k = parseK(body.k);
    const algorithm = service.algorithm(body.algo);
    // A service on the database signs the new user up (their ratings are stored).
    if ('signUp' in service && typeof service.signUp === 'function') {
      const { user, items } = (await service.signUp(body.ratings, k, algorithm)) as { user: number; items: unknown };
      return { user, algorithm, items };
    }
    return { algorithm, items: await service.rateAndRecommend(body.ratings, k, algorithm) };
  });

  app.get('/api/algorithms', async () => ({
    default: service.defaultAlgorithm,
    algorithms: await service.algorithms(),
  }));

  await options.routes?.(app);

  if (options.webRoot !== undefined && existsSync(options.webRoot)) {
    // @fastify/static resolves every path inside `root` and refuses anything outside it.
    await app.register(fastifyStatic, { root: options.webRoot, index: 'index.html', dotfiles: 'deny' });
  }
  return app;
}
