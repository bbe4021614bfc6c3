"""Reports and KPIs: the numbers each role needs, from rollups kept by jobs."""
