#!/usr/bin/python3
"""The maths of drift_delay_bound.py, against from-scratch computations.

The bench's figures are only as good as its statistics: the direction average
must be the true average over the sphere, and every detector's statistic at
row t must use exactly the rows up to t."""
import math
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import drift_delay_bound as bound  # noqa: E402


def sphere_average_by_quadrature(dim, a):
    # u_1 of a uniform direction has density proportional to (1 - x^2)^((dim - 3) / 2).
    theta = np.linspace(0.0, math.pi, 400001)
    weight = np.sin(theta) ** (dim - 2)
    return math.log(np.trapz(np.exp(a * np.cos(theta)) * weight, theta) / np.trapz(weight, theta))


class SphereAverage(unittest.TestCase):
    def test_matches_quadrature(self):
        for dim in (16, 32, 64, 128):
            for a in (0.05, 0.5, 3.0, 15.0, 60.0, 200.0):
                exact = sphere_average_by_quadrature(dim, a)
                got = float(bound.log_sphere_mgf(dim, a))
                self.assertAlmostEqual(got, exact, delta=1e-5 * max(1.0, abs(exact)) + 2e-6,
                                       msg=f"dim {dim}, a {a}")

    def test_is_the_average_over_random_directions(self):
        rng = np.random.default_rng(3)
        dim, rho = 32, 0.4
        s = rng.standard_normal(dim) * 2.0
        u = rng.standard_normal((400000, dim))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        monte_carlo = math.log(np.mean(np.exp(rho * u @ s)))
        self.assertAlmostEqual(float(bound.log_sphere_mgf(dim, rho * np.linalg.norm(s))),
                               monte_carlo, delta=0.01)


class Statistics(unittest.TestCase):
    def test_each_detector_against_its_definition(self):
        rng = np.random.default_rng(5)
        dim, steps, window = 6, 60, 4
        shift = bound.Shift(2, 0.5, dim)
        grid = [1, 2, 3, 4, 7, 11]
        rows = rng.standard_normal((2, steps, dim))
        got = bound.statistics(rows, shift, window, grid)
        rho2 = float(shift.delta @ shift.delta)
        p, mu = 2 / dim, 0.5
        for r in range(2):
            level = 0.0
            for t in range(steps):
                level = max(0.0, level + rows[r, t] @ shift.delta - rho2 / 2)
                self.assertAlmostEqual(got["known delta"][r, t], level, places=9)
                if t + 1 >= window:
                    s = rows[r, t + 1 - window:t + 1].sum(0)
                    self.assertAlmostEqual(got["window"][r, t], s @ s / window, places=9)
                else:
                    self.assertEqual(got["window"][r, t], -np.inf)
                inv, sparse, sr = -np.inf, -np.inf, 0.0
                for k, weight in zip(grid, [1, 1, 1, 2, 3.5, 2.5]):
                    if t + 1 < k:
                        continue
                    s = rows[r, t + 1 - k:t + 1].sum(0)
                    log_lr = (float(bound.log_sphere_mgf(dim, math.sqrt(rho2 * (s @ s))))
                              - k * rho2 / 2)
                    inv = max(inv, log_lr)
                    sr += weight * math.exp(log_lr)
                    lr = np.cosh(mu * s) * math.exp(-k * mu * mu / 2)
                    sparse = max(sparse, float(np.log(1 - p + p * lr).sum()))
                self.assertAlmostEqual(got["invariant"][r, t], inv, places=8)
                self.assertAlmostEqual(got["invariant SR"][r, t], math.log(sr), places=8)
                self.assertAlmostEqual(got["sparse"][r, t], sparse, places=8)

    def test_first_alarms_count_rows_after_the_prefix(self):
        stat = np.array([[9.0, 0.0, 0.0, 5.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0]])
        lengths, alarmed = bound.first_alarms(stat, 1, 1.0)
        self.assertEqual(lengths.tolist(), [3, 4])  # the alarm in the prefix is not counted
        self.assertEqual(alarmed.tolist(), [True, False])

    def test_the_grid_covers_every_short_window(self):
        grid = bound.change_point_grid(400)
        self.assertEqual(grid[:20], list(range(1, 21)))
        self.assertEqual(grid[-1], 400)
        self.assertTrue(all(b / a < 1.11 for a, b in zip(grid[19:], grid[20:])))


if __name__ == "__main__":
    unittest.main()
