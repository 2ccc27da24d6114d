"""Shared code of the benchmarks (``benchmarks/``): where a step runs
(:mod:`.targets`, plain data, and :mod:`.runtime`, which runs a step there),
what one step is (:mod:`.steps`), how it is timed (:mod:`.timing`), how much
work it does (:mod:`.flops`), what the machine can do at best
(:mod:`.ceilings`), what else the machine was doing and whether the figures
can be trusted (:mod:`.machine_state`), the verdicts on the tutorials'
performance claims (:mod:`.claims`) and the comparison with a baseline run
(:mod:`.compare`).

The networks themselves come from :mod:`torchconform.networks`; nothing here
defines one.
"""
