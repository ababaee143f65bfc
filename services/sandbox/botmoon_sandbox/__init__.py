"""The sandbox service: runs submitted code in throwaway, locked-down containers."""
