"""Shared code of the benchmarks (``benchmarks/``): where a step runs
(:mod:`.targets`), what one step is (:mod:`.steps`), how it is timed
(:mod:`.timing`), how much work it does (:mod:`.flops`), what the machine can
do at best (:mod:`.ceilings`), the verdicts on the tutorials' performance
claims (:mod:`.claims`) and the comparison with a baseline run (:mod:`.compare`).

The networks themselves come from :mod:`torchconform.networks`; nothing here
defines one.
"""
