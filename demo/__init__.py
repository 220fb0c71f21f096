"""A realistic demo landing zone: what the SME office receives from its eight sources in 2021-2022.

Not part of the pipeline: a generator for trying it out, the tests and the benchmarks (`umkm demo`).
`demo.zone.write_demo_landing(landing_dir, scale, seed)` writes KoboToolbox survey exports, the
program registry, GoBiz transaction reports, Shopee Seller Centre order exports, UKM Virtual
Expo exports, Mbizmarket vendor order exports, Google Forms training registrations and the Lapak
Ganjar promotion log the way those tools write them (data contract, section 2), including the
untidy parts: mixed money and region spellings, duplicate submissions, re-run reports, overlapping
exports, a few bad rows of each kind, broken files, duplicate deliveries and temporary files.

It tells a story the marts can find (`story`): GoFood orders drop ~40% during PPKM darurat (3-20
July 2021) and recover over the next weeks; UMKM shown on Lapak Ganjar sell ~20% more on GoFood and
Shopee in the 30 days from their first day there; the Mbizmarket vendors of program
`mbizmarket_pbj` attended the office's procurement training (`mbiz-pbj-2021-08`, a few
`mbiz-pbj-2022-02`) and start selling one to four weeks after it, hardly ever before.
`demo.zone.write_new_gobiz_day` adds one more day of GoBiz transactions on top of a written zone.

One module per source (`survey`, `enrollment`, `gofood`, `shopee` with `shopee_orders`, `uvo`,
`mbizmarket`, `training`, `lapak_ganjar`), on top of `common` (sizes, the UMKM population and the
program registry they share), `story` (the Mbizmarket vendors, training participants and Lapak
Ganjar promotions, each drawn from a generator of its own), `cells` (text and time cells, built
column-wise) and `files` (csv, xlsx, the landing-zone writer).

Size: every volume grows linearly with `scale`. One scale unit is 2,600 UMKM, ~3,040 survey
submissions (two waves), 430 program enrollments (30 of them Mbizmarket vendors) and 23,800
orders: 20,000 GoBiz transactions, 3,000 Shopee orders (~4,950 order lines), 600 UVO transactions
and 200 Mbizmarket orders (the *_PER_SCALE constants of `demo.common`); besides, ~300 training
registrations and ~450 Lapak Ganjar promotions (`LAPAK_PER_DAY`). So:

    scale 1    the small demo (`make demo`, the tests): 343 files, ~33k rows, ~10 MB
    scale 106  2.52M orders, 2,857 files, 0.8 GB          scale 212  5.05M orders, 4,074 files, 1.5 GB
    scale 425  the province benchmark (BENCHMARK_SCALES): 10.12M orders (8.5M GoBiz, 1.275M Shopee,
               255k UVO, 85k Mbizmarket), 1.29M survey submissions, 183k enrollments, 5,874 files, 3.2 GB

How the data is cut into files follows how the office receives it, and so changes with size:
- GoBiz: below `PROVINCE_SCALE` (a pilot) each merchant-group account downloads its own monthly
  report (8 x round(sqrt(scale)) accounts; one of them daily in December). From `PROVINCE_SCALE`
  on, Gojek's partnership team sends one province-wide report per day (365 files a year).
- Kobo: one export per wave for a pilot; from `PROVINCE_SCALE` on, every kabupaten/kota office
  exports its own enumerators' submissions, so one export per region per wave.
- Shopee: one `Order.all` export per shop per month; round(10 x scale^0.6) shops send theirs.
  Mostly xlsx; `umkm demo --shopee-csv` writes every one as csv (the same orders and rows).
- Mbizmarket (17 exports), trainings (4 Forms exports) and Lapak Ganjar (a log a quarter): the
  same files at any size, with more rows.

Determinism: the same (scale, seed) gives byte-identical files and identical mtimes. Every
random draw comes from a generator seeded with (seed, stream), GoBiz transactions are drawn one
day at a time from a generator of their own, xlsx files are written by a small zip/XML writer with
fixed timestamps, and each file's mtime is its (fixed, 2021-2022) delivery time, strictly
increasing in delivery order, so "latest landed wins" has a clear order. A file that already
holds the right bytes is not rewritten: running the demo again changes nothing.

Speed and memory: cells are built column-wise as Arrow string arrays (numbers cast, fixed-width
text assembled from digit matrices, no Python loop over rows) and a file's bytes are the joined
cells; only files (or batches of Shopee files) are looped over. GoBiz is generated and written a
day (pilot: a month) at a time, surveys a region at a time, Shopee a batch of shops at a time, so
memory follows the largest file, not the zone. From `PROVINCE_SCALE` on two processes share the
sources (same files as one process). xlsx files use shared strings, as Excel's own do, and a fast
deflate level (files ~20% larger than Excel's).
"""
