import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../data.js';
import { createServer } from '../server.js';
import { MovieService, type MovieResult } from '../service.js';
import { isDatabaseUnavailable } from './errors.js';

describe('isDatabaseUnavailable', () => {
  it('is true for connection and shutdown failures, false for others', () => {
    expect(
      isDatabaseUnavailable(
        Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      ),
    ).toBe(true);
    expect(
      isDatabaseUnavailable(Object.assign(new Error('the database system is starting up'), { code: '57P03' })),
    ).toBe(true);
    expect(
      isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })),
    ).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]))).toBe(
      true,
    );
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
    expect(isDatabaseUnavailable('57P01')).toBe(false);
  });
});

describe('the server while the database is down', () => {
  it('answers 503 with Retry-After and a plain message, not a 500 with a stack', async () => {
    class Down extends MovieService {
      override async recommend(): Promise<MovieResult[]> {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      }
    }
    const dataset = await loadDataset(join(import.meta.dirname, '..', '..', 'fixtures', 'ml-tiny'));
    const app = await createServer(new Down(dataset));
    try {
      const res = await app.inject({ method: 'GET', url: '/api/users/1/recommendations' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.json()).toEqual({ error: 'the database is unavailable; retry shortly.' });
    } finally {
      await app.close();
    }
  });
});
