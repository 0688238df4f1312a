"""The quarterly meeting pack (季度考评材料): an Excel workbook and a PowerPoint deck of one
period, level and scope, from one run's published results."""
