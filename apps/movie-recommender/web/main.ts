/** The page: pick a user or rate a few movies, see recommendations, compare algorithms. */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

interface MovieResult {
  id: number | string;
  title: string;
  genres: string[];
  score: number;
}
interface AlgorithmInfo {
  name: string;
  ratingPredictor: boolean;
  scores?: { rmse: number | null; mae: number | null; precisionAt10: number | null; fitTime: number };
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const algoSelect = $<HTMLSelectElement>('algo');
const userSelect = $<HTMLSelectElement>('user');
const errorBox = $<HTMLParagraphElement>('error');

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, init);
  const body = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

function show(list: HTMLOListElement, items: readonly MovieResult[]): void {
  list.replaceChildren(
    ...items.map((m) => {
      const li = document.createElement('li');
      li.className = 'movie';
      const genres = document.createElement('span');
      genres.className = 'genres';
      genres.textContent = ` — ${m.genres.join(', ')}`;
      li.append(m.title, genres);
      return li;
    }),
  );
}

function option(value: string, label = value): HTMLOptionElement {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = label;
  return o;
}

async function guarded(work: () => Promise<void>): Promise<void> {
  errorBox.textContent = '';
  try {
    await work();
  } catch (error) {
    errorBox.textContent = error instanceof Error ? error.message : String(error);
  }
}

function drawChart(algorithms: readonly AlgorithmInfo[]): void {
  const scored = algorithms.filter((a) => a.scores !== undefined);
  new Chart($<HTMLCanvasElement>('chart'), {
    type: 'bar',
    data: {
      labels: scored.map((a) => a.name),
      datasets: [
        { label: 'RMSE (lower is better)', data: scored.map((a) => a.scores?.rmse ?? null) },
        { label: 'precision@10 (higher is better)', data: scored.map((a) => a.scores?.precisionAt10 ?? null) },
      ],
    },
    options: { animation: false, responsive: false },
  });
  document.body.dataset.chart = 'ready';
}

async function init(): Promise<void> {
  const health = await api<{
    dataset: string;
    users: number;
    movies: number;
    ratings: number;
    defaultAlgorithm: string;
  }>('/api/health');
  $('dataset').textContent =
    `${health.dataset}: ${health.users} users, ${health.movies} movies, ${health.ratings} ratings`;
  const { users } = await api<{ users: (number | string)[] }>('/api/users?limit=50');
  userSelect.replaceChildren(...users.map((u) => option(String(u))));
  const { movies } = await api<{ movies: MovieResult[] }>('/api/movies?limit=12');
  $('to-rate').replaceChildren(
    ...movies.map((m) => {
      const li = document.createElement('li');
      const select = document.createElement('select');
      select.dataset.item = String(m.id);
      select.append(option('', '–'), ...['1', '2', '3', '4', '5'].map((r) => option(r, `${r}★`)));
      li.append(select, ` ${m.title}`);
      return li;
    }),
  );
  document.body.dataset.ready = 'true';
  const { algorithms } = await api<{ algorithms: AlgorithmInfo[] }>('/api/algorithms');
  algoSelect.replaceChildren(...algorithms.map((a) => option(a.name)));
  algoSelect.value = health.defaultAlgorithm;
  drawChart(algorithms);
}

$('recommend').addEventListener('click', () =>
  guarded(async () => {
    const algo = encodeURIComponent(algoSelect.value);
    const user = encodeURIComponent(userSelect.value);
    const { items } = await api<{ items: MovieResult[] }>(`/api/users/${user}/recommendations?k=10&algo=${algo}`);
    show($('user-recs'), items);
  }),
);

$('rate').addEventListener('click', () =>
  guarded(async () => {
    const ratings = Array.from(document.querySelectorAll<HTMLSelectElement>('#to-rate select'))
      .filter((s) => s.value !== '')
      .map((s) => ({
        item: /^\d+$/.test(s.dataset.item!) ? Number(s.dataset.item) : s.dataset.item,
        rating: Number(s.value),
      }));
    const { items } = await api<{ items: MovieResult[] }>('/api/rate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ratings, k: 10, algo: algoSelect.value }),
    });
    show($('rated-recs'), items);
  }),
);

void guarded(init);
