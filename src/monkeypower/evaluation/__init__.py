"""Set estimators side by side: baselines, family comparison and verdict, backtests."""
