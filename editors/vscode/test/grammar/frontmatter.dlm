<!-- SYNTAX TEST "source.dlm" "frontmatter is YAML, only at the top"
---
<!-- <--- punctuation.definition.frontmatter.begin.dlm
dlm_id: 01KPQ9X1000000000000000003
<!-- <------ meta.frontmatter.dlm meta.embedded.block.frontmatter.dlm entity.name.tag.yaml
<!--  ^ meta.embedded.block.frontmatter.dlm punctuation.separator.key-value.mapping.yaml
base_model: smollm2-135m
<!-- <---------- meta.embedded.block.frontmatter.dlm entity.name.tag.yaml
training:
  adapters:
    tone:
      lora_r: 8
<!--  ^^^^^^ meta.embedded.block.frontmatter.dlm entity.name.tag.yaml
<!--          ^ meta.embedded.block.frontmatter.dlm constant.numeric.integer.yaml
---
<!-- <--- meta.frontmatter.dlm punctuation.definition.frontmatter.end.dlm

# Title
<!-- <- markup.heading.markdown punctuation.definition.heading.markdown

---
<!-- <--- - meta.frontmatter.dlm
key: value
<!-- <--- - meta.frontmatter.dlm - meta.embedded.block.frontmatter.dlm
