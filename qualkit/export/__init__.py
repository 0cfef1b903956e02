"""Exports: tables (CSV, XLSX, Parquet), and later Word reports and REFI-QDA projects."""
