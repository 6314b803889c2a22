"""Set estimators side by side, and check the inference itself.

Baselines, family comparison and verdict, backtests, and simulation-based calibration
(:mod:`monkeypower.evaluation.calibration`).
"""
