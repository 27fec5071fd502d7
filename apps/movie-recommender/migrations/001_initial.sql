-- Users, the catalogue, ratings and the model registry.
CREATE TABLE users (
  id integer PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Set by every rating write or delete through the service: a model trained before it does not
  -- know this user's current ratings, so the service folds them in.
  ratings_changed_at timestamptz
);

CREATE TABLE movies (
  id integer PRIMARY KEY,
  title text NOT NULL,
  genres text[] NOT NULL DEFAULT '{}'
);

CREATE TABLE ratings (
  user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  movie_id integer NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
  rating real NOT NULL CHECK (rating >= 0 AND rating <= 10),
  -- Seconds since the epoch, as in MovieLens.
  ts bigint NOT NULL,
  PRIMARY KEY (user_id, movie_id)
);
CREATE INDEX ratings_movie_id_idx ON ratings (movie_id);

-- Dataset-wide settings (e.g. the rating scale).
CREATE TABLE settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL
);

CREATE TABLE models (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  algorithm text NOT NULL,
  version integer NOT NULL,
  config jsonb NOT NULL,
  metrics jsonb NOT NULL,
  -- When the training ratings were read: writes after it are folded in by the service.
  data_as_of timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  is_current boolean NOT NULL DEFAULT false,
  artifact bytea NOT NULL,
  UNIQUE (algorithm, version)
);
-- At most one current model per algorithm.
CREATE UNIQUE INDEX models_current_idx ON models (algorithm) WHERE is_current;
