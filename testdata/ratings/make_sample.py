"""Writes ratings_sample.tsv: 2000 synthetic ratings in the MovieLens u.data layout
(user<TAB>item<TAB>rating<TAB>timestamp, no header), 296 users and 780 items with integer ids,
drawn from a planted rank-3 model with biases and noise, rounded to 1..5.

Synthetic on purpose: MovieLens itself may not be redistributed. Run: python3 make_sample.py
"""
import random

rng = random.Random(20261124)
users = sorted(rng.sample([u for u in range(1, 944) if u != 196], 295) + [196])
items = sorted(rng.sample([i for i in range(1, 1683) if i != 242], 779) + [242])
k = 3
P = {u: [rng.gauss(0, 0.6) for _ in range(k)] for u in users}
Q = {i: [rng.gauss(0, 0.6) for _ in range(k)] for i in items}
bu = {u: rng.gauss(0, 0.4) for u in users}
bi = {i: rng.gauss(0, 0.5) for i in items}

pairs = [(196, 242)]
seen = {(196, 242)}
# User 196 rates exactly 5 items; every other user and every item appears at least once.
for i in rng.sample([i for i in items if i != 242], 4):
    pairs.append((196, i)); seen.add((196, i))
others = [u for u in users if u != 196]
shuffled_items = [i for i in items if i != 242]
rng.shuffle(shuffled_items)
for n, i in enumerate(shuffled_items):
    u = others[n % len(others)]
    if (u, i) not in seen:
        pairs.append((u, i)); seen.add((u, i))
weights = [1.0 / (r + 1) ** 0.8 for r in range(len(others))]  # heavy-tailed activity
while len(pairs) < 2000:
    u = rng.choices(others, weights)[0]
    i = rng.choice(items)
    if (u, i) not in seen:
        pairs.append((u, i)); seen.add((u, i))
first, rest = pairs[0], pairs[1:]
rng.shuffle(rest)
lines = []
for u, i in [first] + rest:
    x = 3.5 + bu[u] + bi[i] + sum(a * b for a, b in zip(P[u], Q[i])) + rng.gauss(0, 0.5)
    r = min(5, max(1, round(x)))
    t = rng.randint(874724710, 893286638)
    lines.append(f"{u}\t{i}\t{r}\t{t}\n")
open("ratings_sample.tsv", "w").write("".join(lines))
print(len(lines), "ratings,", len({p[0] for p in pairs}), "users,", len({p[1] for p in pairs}), "items")
