<!-- SYNTAX TEST "source.dlm" "fences, markers and pair headings"
# Rotating certificates
<!-- <- markup.heading.markdown punctuation.definition.heading.markdown
<!-- ^^^^^^^^^^^^^^^^^^^^^^ markup.heading.markdown entity.name.section.markdown

Prose with `inline code`, **bold** and a [link](https://example.org).
<!--       ^^^^^^^^^^^^^ markup.inline.raw.string.markdown
<!--                      ^^^^^^^^ markup.bold.markdown
<!--                                     ^^^^^^^^^^^^^^^^^^^^^^^^^^^ meta.link.inline.markdown

::instruction::
<!-- <-- meta.fence.dlm punctuation.definition.fence.begin.dlm
<!-- <~~-----------  meta.fence.dlm keyword.control.fence.dlm
<!-- <~~~~~~~~~~~~~-- meta.fence.dlm punctuation.definition.fence.end.dlm
### Q
<!-- <--- markup.heading.pair.dlm punctuation.definition.heading.dlm - markup.heading.markdown
<!-- <~~~~- markup.heading.pair.dlm keyword.other.pair.dlm
How long are certificates valid?
<!-- <--- - markup.heading.pair.dlm - meta.fence.dlm
### A
<!-- <~~~~- keyword.other.pair.dlm
90 days.

::instruction#facts::
<!-- <~~----------- keyword.control.fence.dlm
<!-- <~~~~~~~~~~~~~- punctuation.separator.adapter.dlm
<!-- <~~~~~~~~~~~~~~----- entity.name.tag.adapter.dlm
<!-- <~~~~~~~~~~~~~~~~~~~-- punctuation.definition.fence.end.dlm
<!-- dlm-auto-synth: synth_teacher="vllm-server:http://127.0.0.1:8000" synth_strategy="extraction" source_section_id="88bf51f00bbd1850" -->
<!-- <---- meta.provenance.dlm punctuation.definition.comment.begin.dlm
<!-- ^^^^^^^^^^^^^^ meta.provenance.dlm keyword.other.provenance.dlm
<!--                 ^^^^^^^^^^^^^ meta.provenance.dlm entity.other.attribute-name.dlm
<!--                              ^ punctuation.separator.key-value.dlm
<!--                               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ string.quoted.double.dlm
<!--                                                                                                                                    ^^^ meta.provenance.dlm punctuation.definition.comment.end.dlm
<!-- dlm-auto-mined: run_id="7" -->
<!-- ^^^^^^^^^^^^^^ keyword.other.provenance.dlm
<!-- dlm-auto-harvest: source="probe" -->
<!-- ^^^^^^^^^^^^^^^^ keyword.other.provenance.dlm
### Q
<!-- <~~~~- keyword.other.pair.dlm
How long?
### A
90 days.

::preference#tone::
<!-- <~~---------- keyword.control.fence.dlm
<!-- <~~~~~~~~~~~~~---- entity.name.tag.adapter.dlm
### Prompt
<!-- <~~~~------ keyword.other.pair.dlm
### Chosen
<!-- <~~~~------ keyword.other.pair.dlm
### Rejected
<!-- <~~~~-------- keyword.other.pair.dlm
### Not a pair heading
<!-- <--- markup.heading.markdown - markup.heading.pair.dlm

::image path="figures/renewal-flow.png" alt="Renewal job flow"::
<!-- <-- meta.fence.attributes.dlm punctuation.definition.fence.begin.dlm
<!-- <~~----- meta.fence.attributes.dlm keyword.control.fence.dlm
<!--    ^^^^ entity.other.attribute-name.dlm
<!--        ^ punctuation.separator.key-value.dlm
<!--         ^^^^^^^^^^^^^^^^^^^^^^^^^^ string.quoted.double.dlm
<!--                                    ^^^ entity.other.attribute-name.dlm
<!--                                                          ^^ meta.fence.attributes.dlm punctuation.definition.fence.end.dlm
::audio path="a.wav" transcript="Renew daily."::
<!-- <~~----- keyword.control.fence.dlm
<!--                 ^^^^^^^^^^ entity.other.attribute-name.dlm

::prose::
<!-- <~~----- keyword.control.fence.dlm
not ::a fence:: inside a line
<!--^^^^^^^^^^^ - meta.fence.dlm
<!-- an ordinary comment -->
<!-- <---- comment.block.html.dlm - meta.provenance.dlm
- a list item
<!-- <- punctuation.definition.list.begin.markdown
