"""How big a landing file may be before the loader refuses it, checked before the work they bound.

Sized well above the largest real export (a 30 MB Kobo survey export, GoBiz day reports of a
few thousand rows, Shopee shop-months of a few hundred): a file past one of these is an attack or
a broken export, and is quarantined (or, for a cell, its row rejected) with the limit named.
The memory and time a parse worker may use are settings (`UMKM_PARSE_MEMORY_MB`,
`UMKM_PARSE_SECONDS`): those catch what no limit here foresaw.
"""

MAX_ROWS = 10_000_000            # data rows in one file
MAX_COLUMNS = 1_024              # columns in one file (a Kobo export has about 60)
MAX_CELL_CHARS = 65_536          # characters in one cell: a longer one rejects its row

# xlsx is a zip: its directory declares each member's size before anything is inflated (and
# calamine's zip reader stops past a declared size). Measured on the demo zone at scale 425 (the
# 10 M-order benchmark): the largest sheet XML is 50 MB (a 11 MB survey workbook), the largest
# workbook inflates to 61 MB, members compress 4-9x (18x for a sheet of one repeated number).
# The largest real export (a 30 MB Kobo workbook) would inflate to about 160 MB, its sheet 135 MB.
XLSX_MAX_MEMBER_BYTES = 1 << 30  # inflated size of one member (a sheet's XML): 7x the largest real
XLSX_MAX_TOTAL_BYTES = 3 << 29   # inflated size of all members together (1.5 GiB)
XLSX_MAX_RATIO = 100             # inflated / compressed size of a member over 1 MB (bombs: 250-1000)
# Calamine allocates the used range from A1 to the farthest cell with a value, about 55 bytes a
# cell even when empty: 20 M cells is 1.1 GB, within the parse memory (UMKM_PARSE_MEMORY_MB);
# the largest demo sheet has 1.8 M cells, a 30 MB Kobo export (same bytes a cell) about 5 M.
XLSX_MAX_CELLS = 20_000_000      # rows x columns of the used range calamine would allocate
