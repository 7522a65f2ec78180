<!-- SYNTAX TEST "source.dlm" "fenced code blocks hide fences, as in the parser"
# Notes

```python
<!-- <--- markup.fenced_code.block.markdown punctuation.definition.markdown
<!-- <~~~------ fenced_code.block.language.markdown
def f():
<!-- <--- markup.fenced_code.block.markdown meta.embedded.block.python
    return 1
::instruction::
<!-- <--------------- markup.fenced_code.block.markdown - meta.fence.dlm
### Q
<!-- <----- markup.fenced_code.block.markdown - markup.heading.pair.dlm
```
<!-- <--- markup.fenced_code.block.markdown punctuation.definition.markdown

::instruction::
<!-- <~~----------- meta.fence.dlm keyword.control.fence.dlm - markup.fenced_code.block.markdown
### Q
<!-- <~~~~- keyword.other.pair.dlm
Plain text
```
<!-- <--- markup.fenced_code.block.markdown
no language
<!-- <-- markup.fenced_code.block.markdown
```
after
<!-- <----- - markup.fenced_code.block.markdown
