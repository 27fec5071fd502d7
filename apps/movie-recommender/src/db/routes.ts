/**
 * The stored-ratings API of a {@link StoredMovieService}: a user's ratings are written in a
 * transaction and acknowledged after the commit; the answer carries the user's new
 * recommendations (fold-in, no retrain).
 */
import type { FastifyInstance } from 'fastify';
import { AppError, parseK } from '../service.js';
import type { StoredMovieService } from '../store-service.js';

interface Query {
  k?: string;
  algo?: string;
}

export function storeRoutes(service: StoredMovieService): (app: FastifyInstance) => void {
  return (app) => {
    app.get<{ Params: { id: string } }>('/api/users/:id/ratings', async (request) => {
      const user = service.user(request.params.id);
      return { user, ratings: await service.ratings(user) };
    });

    app.post<{ Params: { id: string }; Querystring: Query; Body: { ratings?: unknown; item?: unknown } }>(
      '/api/users/:id/ratings',
      async (request, reply) => {
        const body = request.body;
        if (body === null || typeof body !== 'object') {
          throw new AppError(400, 'send JSON { ratings: [{ item, rating }] } or { item, rating }.');
        }
        const k = parseK(request.query.k);
        const algorithm = service.algorithm(request.query.algo);
        const user = service.user(request.params.id);
        const stored = await service.rate(user, 'ratings' in body ? body.ratings : body);
        return reply.status(201).send({ user, stored, algorithm, items: await service.recommend(user, k, algorithm) });
      },
    );

    app.delete<{ Params: { id: string; movie: string }; Querystring: Query }>(
      '/api/users/:id/ratings/:movie',
      async (request) => {
        const k = parseK(request.query.k);
        const algorithm = service.algorithm(request.query.algo);
        const user = service.user(request.params.id);
        await service.unrate(user, request.params.movie);
        return {
          user,
          deleted: service.item(request.params.movie),
          algorithm,
          items: await service.recommend(user, k, algorithm),
        };
      },
    );
  };
}
